"""`make bench`: DynamoDB requests per outcome, cold start, warm overhead and artifact size, side by side."""
