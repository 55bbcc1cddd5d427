"""Transports behind one interface: in-process for embedded mode, RabbitMQ for production."""
