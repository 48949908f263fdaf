"""Entry points of the AWS Lambda functions: each a thin handler over the same lib code Dagster runs."""
