"""Network reachability read from a plan (`terraform show -json`): who may talk to whom, on which port.

Security group ids are unknown until apply, so each rule's groups are found by following the configuration's
references (through module variables, module outputs and `each.value`) to the `aws_security_group` resource
they name: a group is its configuration address (``module.databases.aws_security_group.this``). Both sides of
a connection must agree, as in AWS: the source group's egress and the target group's ingress. The configuration
lists the references of both branches of a conditional (``x ? a : b``), so a rule behind one counts for both
groups that exist in the plan: an over-approximation, which the tests pair with checks of planned values.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

WORLD = {"0.0.0.0/0", "::/0"}
RULE_TYPES = {"aws_vpc_security_group_ingress_rule": "ingress", "aws_vpc_security_group_egress_rule": "egress"}


@dataclass(frozen=True)
class Rule:
    direction: str  # ingress | egress
    groups: frozenset[str]  # the group the rule belongs to (more than one only behind a conditional)
    peers: frozenset[str]  # the groups it names (referenced_security_group_id)
    cidr: str | None
    prefix_list: bool
    protocol: str
    from_port: int | None
    to_port: int | None
    address: str

    def covers(self, port: int) -> bool:
        if self.protocol in ("-1", "all"):
            return True
        return self.protocol == "tcp" and (self.from_port or 0) <= port <= (self.to_port or 65535)


def config_address(address: str) -> str:
    """A resource instance's address without its indexes: module.x[0].aws_y.z["k"] -> module.x.aws_y.z."""
    return re.sub(r"\[[^\]]*\]", "", address)


def prefix(path: tuple[str, ...]) -> str:
    return "".join(f"module.{name}." for name in path)


class Plan:
    def __init__(self, shown: dict[str, Any]) -> None:
        self.shown = shown
        self.resources = list(self._walk(shown["planned_values"]["root_module"]))
        self.config_resources = {
            prefix(path) + r["address"]: (path, r)
            for path, r in self._config_walk(shown["configuration"]["root_module"])
        }
        self.vpc_cidr = ipaddress.ip_network(self.one("aws_vpc")["values"]["cidr_block"])

    # --- the plan's pieces -------------------------------------------------------------------------------

    def _walk(self, module: dict[str, Any]):
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from self._walk(child)

    def _config_walk(self, module: dict[str, Any], path: tuple[str, ...] = ()):
        for resource in module.get("resources", []):
            yield path, resource
        for name, call in module.get("module_calls", {}).items():
            yield from self._config_walk(call["module"], (*path, name))

    def module_config(self, path: tuple[str, ...]) -> dict[str, Any]:
        module = self.shown["configuration"]["root_module"]
        for name in path:
            module = module["module_calls"][name]["module"]
        return module

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_ and r["mode"] == "managed"]

    def one(self, type_: str) -> dict[str, Any]:
        (resource,) = self.of_type(type_)
        return resource

    def variable(self, name: str) -> Any:
        return self.shown["variables"][name]["value"]

    # --- following references to security groups -----------------------------------------------------

    def resolve(
        self,
        path: tuple[str, ...],
        references: list[str],
        each: list[str] | None = None,
        kind: str = "aws_security_group",
    ) -> set[str]:
        """The resources of one type (configuration addresses) a list of references leads to."""
        found: set[str] = set()
        references = [config_address(reference) for reference in references]
        modules_named = {".".join(r.split(".")[:2]) for r in references if r.count(".") >= 2}
        for reference in references:
            parts = reference.split(".")
            if parts[0] == kind and len(parts) >= 2:
                found.add(f"{prefix(path)}{kind}.{parts[1]}")
            elif parts[0] == "var" and path:
                call = self.module_config(path[:-1])["module_calls"][path[-1]]
                expression = call.get("expressions", {}).get(parts[1], {})
                found |= self.resolve(path[:-1], expression.get("references", []), kind=kind)
            elif parts[0] == "module" and len(parts) == 3:
                child = (*path, parts[1])
                output = self.module_config(child)["outputs"][parts[2]]
                found |= self.resolve(child, output["expression"].get("references", []), kind=kind)
            elif parts[0] == "module" and len(parts) == 2 and reference not in modules_named:
                child = (*path, parts[1])  # a splat (module.x[*].y) names only the module: take its group outputs
                for name, output in self.module_config(child)["outputs"].items():
                    if "security_group" in name:
                        found |= self.resolve(child, output["expression"].get("references", []), kind=kind)
            elif parts[0] == "each" and each is not None:
                found |= self.resolve(path, each, kind=kind)
        return found

    def groups_of(self, address: str, *attribute: str) -> set[str]:
        """The groups one attribute (a path into nested blocks) of a resource's configuration names."""
        return self.named_by(address, *attribute)

    def named_by(self, address: str, *attribute: str, kind: str = "aws_security_group") -> set[str]:
        """The resources of one type that one attribute (a path into nested blocks) of a resource names."""
        path, resource = self.config_resources[config_address(address)]
        expression: Any = resource["expressions"]
        for key in attribute:
            expression = expression[0] if isinstance(expression, list) else expression
            expression = expression.get(key, {})
        each = resource.get("for_each_expression", {}).get("references")
        planned = {config_address(r["address"]) for r in self.of_type(kind)}
        return self.resolve(path, expression.get("references", []), each, kind) & planned

    def referenced(self, resource: dict[str, Any], attribute: str) -> list[str]:
        _, config = self.config_resources[config_address(resource["address"])]
        return config["expressions"].get(attribute, {}).get("references", [])

    def rules(self) -> list[Rule]:
        rules = []
        for type_, direction in RULE_TYPES.items():
            for resource in self.of_type(type_):
                values = resource["values"]
                rules.append(
                    Rule(
                        direction=direction,
                        groups=frozenset(self.groups_of(resource["address"], "security_group_id")),
                        peers=frozenset(self.groups_of(resource["address"], "referenced_security_group_id")),
                        cidr=values.get("cidr_ipv4") or values.get("cidr_ipv6"),
                        prefix_list=bool(values.get("prefix_list_id") or self.referenced(resource, "prefix_list_id")),
                        protocol=str(values.get("ip_protocol")),
                        from_port=values.get("from_port"),
                        to_port=values.get("to_port"),
                        address=resource["address"],
                    )
                )
        return rules

    # --- questions -----------------------------------------------------------------------------------------

    def in_vpc(self, cidr: str | None) -> bool:
        """A CIDR that covers the whole VPC (so any group in it)."""
        return cidr is not None and ":" not in cidr and self.vpc_cidr.subnet_of(ipaddress.ip_network(cidr))

    def allows(self, source: str, target: str, port: int) -> bool:
        """The source group may open a TCP connection to the target group on the port (both sides agree)."""
        rules = [r for r in self.rules() if r.covers(port)]
        out = any(
            source in r.groups and (target in r.peers or self.in_vpc(r.cidr)) for r in rules if r.direction == "egress"
        )
        into = any(
            target in r.groups and (source in r.peers or self.in_vpc(r.cidr)) for r in rules if r.direction == "ingress"
        )
        return out and into

    def egress_to_world(self, source: str, port: int) -> bool:
        return any(
            source in r.groups and r.direction == "egress" and r.covers(port) and r.cidr in WORLD for r in self.rules()
        )

    def world_ingress(self) -> list[str]:
        return [r.address for r in self.rules() if r.direction == "ingress" and r.cidr in WORLD]

    def endpoint_admits(self, service: str, source: str) -> bool:
        """An interface endpoint for the service (``secretsmanager``, ``ecr.api``) that the source group reaches."""
        for endpoint in self.of_type("aws_vpc_endpoint"):
            values = endpoint["values"]
            if values.get("vpc_endpoint_type") == "Interface" and values["service_name"].endswith(f".{service}"):
                targets = self.groups_of(endpoint["address"], "security_group_ids")
                if any(self.allows(source, target, 443) for target in targets):
                    return True
        return False

    def s3_gateway_egress(self, source: str) -> bool:
        """HTTPS out to a prefix list (the S3 gateway endpoint's), which needs no ingress side."""
        return any(
            source in r.groups and r.direction == "egress" and r.covers(443) and r.prefix_list for r in self.rules()
        )
