"""Exit 0 when a URL answers 2xx, else 1: the compose healthcheck (the slim image has no curl).

Usage: python deploy/healthcheck.py http://127.0.0.1:8101/readyz
"""
import sys
import urllib.request


def main(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if 200 <= response.status < 300 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
