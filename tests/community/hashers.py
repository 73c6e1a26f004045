"""A password hasher for timing tests: Django's PBKDF2 at a fraction of its iterations, so
hashing still dominates a sign-up (as in production) without taking most of a second."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class TimingPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 250_000
