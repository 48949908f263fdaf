provider "aws" {
  region = var.aws_region

  # Restrict the stack to the account the operator meant (optional safety net).
  allowed_account_ids = length(var.allowed_account_ids) > 0 ? var.allowed_account_ids : null

  default_tags {
    tags = merge(var.tags, {
      Project     = "chinook-platform"
      ManagedBy   = "terraform"
      Environment = var.environment
    })
  }
}
