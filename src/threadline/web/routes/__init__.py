"""Page and API routes, one module per area; each is thin: parse, call a service, render."""
