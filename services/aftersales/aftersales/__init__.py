"""The after-sales service: returns, exchanges, refund requests, reviews, service tickets."""
