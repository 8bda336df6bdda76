"""A Telegram bot that answers questions about ketamine research for depression from a cited FAQ."""
