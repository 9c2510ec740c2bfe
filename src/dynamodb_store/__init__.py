"""The DynamoDB adapter: the only code that knows table layouts, item shapes and DynamoDB errors."""
