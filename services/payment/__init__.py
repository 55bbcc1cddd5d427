"""Payment: orders, the payment-provider adapter, (later) reconciliation, refunds, fee waivers, e-receipts."""
