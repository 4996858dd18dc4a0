"""The least-privilege IAM policy covers every boto3 operation the code makes, and grants nothing else."""

from __future__ import annotations

import ast
import json

import botocore.session
from botocore import xform_name

from tests.fixtures.binaries import ROOT

POLICY = ROOT / "deploy" / "iam" / "trainspend-policy.json"
IAM_PREFIX = {"pricing": "pricing", "ec2": "ec2", "cloudwatch": "cloudwatch", "sns": "sns"}


def _per_file() -> list[tuple[set[str], set[str]]]:
    """For each module of monitor/: the AWS services its clients belong to (boto3.client("x") calls and the
    mypy_boto3_x type stubs it imports) and every attribute / paginator name it uses. Matching names per module
    keeps an operation that two services share (TagResource) attributed to the right one."""
    out = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        services: set[str] = set()
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mypy_boto3_"):
                services.add((node.module or "").removeprefix("mypy_boto3_").split(".")[0])
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    if node.func.attr == "client":
                        services.add(first.value)
                    if node.func.attr == "get_paginator":
                        names.add(first.value)
        out.append((services, names))
    return out


def code_actions() -> set[str]:
    session = botocore.session.get_session()
    actions = set()
    for services, names in _per_file():
        for service in services:
            for operation in session.get_service_model(service).operation_names:
                if xform_name(operation) in names:
                    actions.add(f"{IAM_PREFIX[service]}:{operation}")
    return actions


def policy_actions() -> set[str]:
    policy = json.loads(POLICY.read_text())
    return {action for statement in policy["Statement"] for action in statement["Action"]}


def test_code_uses_exactly_the_expected_aws_services() -> None:
    services = set().union(*(found for found, _ in _per_file()))
    assert services == set(IAM_PREFIX)


def test_policy_covers_every_call_and_grants_nothing_else() -> None:
    used = code_actions()
    assert "cloudwatch:PutMetricAlarm" in used  # the scan sees the code
    assert used == policy_actions()


def test_policy_never_grants_wildcards_or_denies_silently() -> None:
    policy = json.loads(POLICY.read_text())
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in statement["Action"])
    alarm_writes = next(s for s in policy["Statement"] if "cloudwatch:PutMetricAlarm" in s["Action"])
    assert alarm_writes["Resource"].endswith(":alarm:trainspend-*")
