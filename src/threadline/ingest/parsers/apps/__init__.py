"""Readers for third-party messaging apps found in phone downloads: Burner, Viber and Tango
(Android), Kik and imo (iOS). Each is a :class:`~threadline.ingest.phone_store.StoreReader`; the
single-database parsers and the file-system parser use them through :mod:`.stores`."""
