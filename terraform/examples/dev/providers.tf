terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = ">= 2.15, < 3.0"
    }
    tls = {
      source  = "hashicorp/tls"
      version = ">= 4.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project     = "videoquality"
      environment = var.environment
    }
  }
}

# The Helm provider reaches the new cluster with a short-lived token from `aws eks get-token` (AWS CLI on PATH).
provider "helm" {
  kubernetes {
    host                   = module.video_quality.cluster_endpoint
    cluster_ca_certificate = base64decode(module.video_quality.cluster_certificate_authority_data)

    exec {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--region", var.region, "--cluster-name", module.video_quality.cluster_name]
    }
  }
}
