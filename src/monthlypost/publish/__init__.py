"""Publishing to outside services: the mail providers (email push). YouTube lives in monthlypost.youtube."""
