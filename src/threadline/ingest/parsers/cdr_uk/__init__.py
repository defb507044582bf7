"""UK network call data records, read through declarative mapping profiles."""
