"""Publishing to outside services: YouTube (youtube push) and the mail providers (email push)."""
