terraform {
  # S3-native state locking (`use_lockfile` in backend.hcl) needs Terraform 1.10 or later.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # Partial configuration: bucket, key, region, encrypt and use_lockfile come from backend.hcl
  # (copy backend.hcl.example) so no account-specific name is committed:
  #   terraform init -backend-config=backend.hcl
  backend "s3" {}
}
