"""Certificates' domain: numbers, the certificate aggregate, the credential and its proof.

Plain Python (plus the ``cryptography`` primitives the proof needs); no web, database or broker.
"""
