terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # The bootstrap keeps its own (tiny) state locally: it creates the bucket every other state lives in.
  # Once applied it may be migrated into that bucket with a backend "s3" block and `terraform init -migrate-state`.
}
