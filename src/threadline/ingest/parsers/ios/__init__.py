"""iOS handset stores: Messages (``sms.db``), call history, address book, WhatsApp and the
CommCenter SIM preferences, read by the ``ios_db`` parser and by the full file-system parser
through :data:`threadline.ingest.parsers.ios.stores.IOS_READERS`."""
