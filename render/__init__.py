"""What the bot makes for people to look at: the letter's page with its QR code, the /stats chart, the school's documents.

Plain data in, bytes (or plain data) out: no Telegram, no database. Below the dialogues, beside storage.
"""
