"""SQLite storage: migrations, repositories, hashing of secrets; knows nothing of Telegram."""
