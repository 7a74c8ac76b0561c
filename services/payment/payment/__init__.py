"""The payment service: what each order owes, payments, the wallet ledger."""
