"""The user service: accounts, login, verification codes, tokens, addresses, membership, points."""
