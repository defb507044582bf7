"""Services: the use cases the CLI (and later the web application) share; the only layer that
writes to the stores."""
