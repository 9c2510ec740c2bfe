"""Running the service on a laptop: embedded DynamoDB, demo data, an HTTP front that builds the same
API Gateway events production receives. Development tooling only; not part of the Lambda artifact."""
