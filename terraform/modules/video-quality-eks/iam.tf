# IRSA role for the video-quality pods (read the model bucket) and an optional GitHub Actions OIDC role for CI/CD
# (push images, write promoted models, deploy to the cluster).

locals {
  oidc_issuer = replace(module.eks.cluster_oidc_issuer_url, "https://", "")

  github_oidc_provider_arn = var.github_repository == "" ? "" : (
    var.github_oidc_provider_arn != "" ? var.github_oidc_provider_arn : aws_iam_openid_connect_provider.github[0].arn
  )

  access_entries = merge(
    {
      for i, arn in var.cluster_admin_arns : "admin-${i}" => {
        principal_arn = arn
        policy_associations = {
          admin = {
            policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            access_scope = {
              type = "cluster"
            }
          }
        }
      }
    },
    var.github_repository == "" ? {} : {
      github-actions = {
        principal_arn = aws_iam_role.github[0].arn
        policy_associations = {
          # Admin inside the application namespace only: enough for `helm upgrade --install`.
          namespace-admin = {
            policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
            access_scope = {
              type       = "namespace"
              namespaces = [var.app_namespace]
            }
          }
          # Port-forward to Prometheus for the canary health checks.
          monitoring-edit = {
            policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
            access_scope = {
              type       = "namespace"
              namespaces = [var.monitoring_namespace]
            }
          }
        }
      }
    },
  )
}

# ----------------------------------------------------------------------------------------------- pods (IRSA)

data "aws_iam_policy_document" "model_reader_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [module.eks.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.app_namespace}:${var.app_service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "model_reader" {
  statement {
    sid       = "ListModels"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.models.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["models", "models/*"]
    }
  }

  statement {
    sid       = "ReadModels"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.models.arn}/models/*"]
  }
}

resource "aws_iam_role" "model_reader" {
  name               = "${var.name}-model-reader"
  assume_role_policy = data.aws_iam_policy_document.model_reader_trust.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "model_reader" {
  name   = "read-models"
  role   = aws_iam_role.model_reader.id
  policy = data.aws_iam_policy_document.model_reader.json
}

# ----------------------------------------------------------------------------------------------- GitHub Actions

data "tls_certificate" "github" {
  count = var.github_repository != "" && var.github_oidc_provider_arn == "" ? 1 : 0
  url   = "https://token.actions.githubusercontent.com/.well-known/openid-configuration"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.github_repository != "" && var.github_oidc_provider_arn == "" ? 1 : 0

  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = [data.tls_certificate.github[0].certificates[0].sha1_fingerprint]
  tags            = local.tags
}

data "aws_iam_policy_document" "github_trust" {
  count = var.github_repository == "" ? 0 : 1

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    # The main branch and the protected environments of the repository only.
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values = [
        "repo:${var.github_repository}:ref:refs/heads/main",
        "repo:${var.github_repository}:environment:*",
      ]
    }
  }
}

data "aws_iam_policy_document" "github" {
  count = var.github_repository == "" ? 0 : 1

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [for r in aws_ecr_repository.this : r.arn]
  }

  statement {
    sid       = "DescribeCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [module.eks.cluster_arn]
  }

  statement {
    sid       = "ModelRegistry"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.models.arn]
  }

  statement {
    sid       = "ModelObjects"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.models.arn}/models/*"]
  }
}

resource "aws_iam_role" "github" {
  count = var.github_repository == "" ? 0 : 1

  name                 = "${var.name}-github-actions"
  assume_role_policy   = data.aws_iam_policy_document.github_trust[0].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "github" {
  count = var.github_repository == "" ? 0 : 1

  name   = "ci-cd"
  role   = aws_iam_role.github[0].id
  policy = data.aws_iam_policy_document.github[0].json
}
