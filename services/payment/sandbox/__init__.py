"""The sandbox payment provider: an Alipay-like gateway for development, demos and tests."""
