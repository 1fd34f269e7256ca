#!/usr/bin/python3
"""corridor's published contracts, checked.

    contracts.py check-docs DOCS_DIR
        docs/asyncapi.yaml and docs/openapi.yaml are what they claim to be: every schema is a valid
        JSON Schema (draft 2020-12), every $ref resolves (within a document and across the two),
        every example validates against its schema.

    contracts.py validate DOCS_DIR OBSERVED.jsonl
        Each line is something a test saw: {"schema": "command" | "input" | "event" | "deadletter" |
        "http", "value": ..., "headers": {...}, "test": "<suite.name>", ...}. Each is validated against
        the documents; events' CloudEvents headers are checked against their bodies. A command that
        does not match its schema is accepted only when corridor refused it too (a command.rejected
        event or a router dead letter for it was seen): the schema may not be looser or stricter than
        the router without a test noticing.

Exit 0 when everything holds, 1 with a report naming each violation, 2 when it cannot run.
Needs python3-jsonschema (4.10, Debian bookworm) and python3-yaml.
"""
import hashlib
import json
import os
import re
import sys
from collections import Counter

import yaml
from jsonschema import Draft202012Validator, RefResolver
from jsonschema.exceptions import best_match

# What the HTTP server answers on any route before a handler sees the request (docs/openapi.yaml's
# description): a malformed request, a body over the limit, headers too large.
SERVER_REFUSALS = {400, 413, 431}

ASYNC_URI = "file:///corridor/docs/asyncapi.yaml"
OPEN_URI = "file:///corridor/docs/openapi.yaml"


class Contracts:
    def __init__(self, docs_dir):
        with open(os.path.join(docs_dir, "asyncapi.yaml"), encoding="utf-8") as f:
            self.asyncapi = yaml.safe_load(f)
        with open(os.path.join(docs_dir, "openapi.yaml"), encoding="utf-8") as f:
            self.openapi = yaml.safe_load(f)
        self.store = {ASYNC_URI: self.asyncapi, OPEN_URI: self.openapi}
        self._validators = {}
        self.routes = self._routes()

    def validator(self, uri):
        """A draft 2020-12 validator of the schema at `uri` (document URI + '#' + JSON pointer)."""
        if uri not in self._validators:
            base = uri.split("#", 1)[0]
            resolver = RefResolver(base_uri=base, referrer=self.store[base], store=self.store)
            self._validators[uri] = Draft202012Validator({"$ref": uri}, resolver=resolver)
        return self._validators[uri]

    def errors(self, uri, value):
        """A readable line per violation of the schema at `uri` ([] when `value` matches)."""
        v = self.validator(uri)
        errs = list(v.iter_errors(value))
        if not errs:
            return []
        e = best_match(errs)
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        return [f"at {where}: {shorten(e.message)} (schema {uri.split('#')[1]}"
                f"{'/' + '/'.join(str(p) for p in e.absolute_schema_path) if e.absolute_schema_path else ''})"]

    def schema(self, name):
        return f"{ASYNC_URI}#/components/schemas/{name}"

    # ---- HTTP ------------------------------------------------------------------------------------
    def _routes(self):
        routes = []
        for template, item in self.openapi.get("paths", {}).items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if template == "/callbacks/{provider}/{path}":
                pattern = r"^/callbacks/[^/]+/.+$"
            routes.append((re.compile(pattern), template, item))
        # Literal routes before templated ones (/v1/payments before /v1/payments/{txn_id}/...).
        routes.sort(key=lambda r: r[1].count("{"))
        return routes

    def http_errors(self, method, path, status, content_type, value, listener="operations"):
        path = path.split("?", 1)[0]
        for pattern, template, item in self.routes:
            if not pattern.match(path) or listener not in item.get("x-listeners", ["operations"]):
                continue
            op = item.get(method.lower())
            if op is None:
                continue
            responses = op.get("responses", {})
            key = next((k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None)
            if key is None and status in SERVER_REFUSALS:
                return self.errors(f"{OPEN_URI}#/components/schemas/Error", value)
            if key is None:
                return [f"{method} {template} answered {status}, which the document does not list"]
            response = self.deref(responses[key], OPEN_URI)
            content = response.get("content", {})
            if not content:
                return []
            media = content_type.split(";", 1)[0].strip() if content_type else ""
            if media not in content:
                return [f"{method} {template} {status} answered {content_type or 'no content type'}, "
                        f"documented: {', '.join(content)}"]
            if media != "application/json":
                return []
            if isinstance(value, dict) and set(value) == {"not_json"}:
                return [f"{method} {template} {status}: the body is not JSON"]
            pointer = self.pointer_of(responses[key], f"/paths/{escape(template)}/{method.lower()}/responses/{key}")
            return self.errors(f"{pointer}/content/{escape(media)}/schema", value)
        # Not a documented route: corridor's answer is a refusal in the documented error shape.
        if 400 <= status < 500 and isinstance(value, dict):
            return self.errors(f"{OPEN_URI}#/components/schemas/Error", value)
        return [f"{method} {path} answered {status} and is not a documented route"]

    def deref(self, node, base):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            doc = self.openapi if base == OPEN_URI else self.asyncapi
            node = resolve_pointer(doc, ref.split("#", 1)[1])
        return node

    def pointer_of(self, node, pointer):
        if isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#"):
            return OPEN_URI + node["$ref"]
        return OPEN_URI + "#" + pointer


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def resolve_pointer(doc, pointer):
    node = doc
    for token in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def shorten(text, limit=300):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


# ---- check-docs --------------------------------------------------------------------------------

def walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}/{escape(str(k))}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def check_docs(docs_dir):
    c = Contracts(docs_dir)
    problems = []
    if not str(c.asyncapi.get("asyncapi", "")).startswith("3."):
        problems.append("docs/asyncapi.yaml: asyncapi is not 3.x")
    if not str(c.openapi.get("openapi", "")).startswith("3.1"):
        problems.append("docs/openapi.yaml: openapi is not 3.1.x")
    for name, schema in c.asyncapi["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as e:  # noqa: BLE001 - the message is the report
            problems.append(f"asyncapi components.schemas.{name}: not a valid JSON Schema: {shorten(e)}")
    for name, schema in c.openapi["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as e:  # noqa: BLE001
            problems.append(f"openapi components.schemas.{name}: not a valid JSON Schema: {shorten(e)}")
    refs = 0
    for uri, doc in ((ASYNC_URI, c.asyncapi), (OPEN_URI, c.openapi)):
        resolver = RefResolver(base_uri=uri, referrer=doc, store=c.store)
        for path, node in walk(doc):
            ref = node.get("$ref")
            if not isinstance(ref, str):
                continue
            refs += 1
            try:
                resolver.resolve(ref)
            except Exception as e:  # noqa: BLE001
                problems.append(f"{uri.rsplit('/', 1)[1]}{path}: $ref {ref} does not resolve ({shorten(e, 120)})")
    examples = 0
    for name, message in c.asyncapi["components"]["messages"].items():
        for i, example in enumerate(message.get("examples", [])):
            for part in ("payload", "headers"):
                if part not in example:
                    continue
                examples += 1
                target = message[part]["$ref"]
                for e in c.errors(ASYNC_URI + target, example[part]):
                    problems.append(f"asyncapi message {name} example {i} {part}: {e}")
    for path, node in walk(c.openapi):
        if "schema" in node and "example" in node and isinstance(node["schema"], dict):
            examples += 1
            for e in c.errors(f"{OPEN_URI}#{path}/schema", node["example"]):
                problems.append(f"openapi{path} example: {e}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"contracts: documents valid: {len(c.asyncapi['components']['schemas'])} AsyncAPI schemas, "
          f"{len(c.openapi['components']['schemas'])} OpenAPI schemas, {len(c.openapi['paths'])} paths, "
          f"{refs} $refs resolved, {examples} examples valid")
    return 0


# ---- validate ----------------------------------------------------------------------------------

def event_schema(value):
    if isinstance(value, dict) and value.get("truncated") is True:
        return "TruncatedEvent"
    t = value.get("type") if isinstance(value, dict) else None
    return {"transaction.state_changed": "StateChangedEvent", "command.rejected": "CommandRejectedEvent"}.get(t, "Event")


def header_errors(value, headers):
    """CloudEvents headers that contradict the event they travel with."""
    out = []
    if not isinstance(value, dict):
        return out
    expected = {"ce_id": value.get("event_id"), "ce_type": value.get("type"), "ce_time": value.get("occurred_at")}
    if value.get("txn_id"):
        expected["ce_subject"] = value["txn_id"]
    if value.get("type") == "transaction.state_changed" and value.get("provider") and value.get("flow"):
        expected["ce_source"] = f"corridor/{value['provider']}.{value['flow']}"
    for name, want in expected.items():
        if want is not None and headers.get(name) != want:
            out.append(f"header {name} is {headers.get(name)!r}, the event says {want!r}")
    return out


def command_key(value):
    def s(k):
        v = value.get(k)
        return v if isinstance(v, str) and v else None
    return s("command_id"), s("merchant"), s("reference")


def refused_by(deadletter, command):
    """Whether a router dead letter is of this command (as produced: its bytes, or their prefix)."""
    raw = command.get("raw")
    if not isinstance(raw, str):
        return False
    data = raw.encode("utf-8", errors="replace")
    if deadletter.get("payload_sha256") and len(data) == command.get("bytes"):
        return deadletter["payload_sha256"] == hashlib.sha256(data).hexdigest()
    payload = deadletter.get("payload")
    if not isinstance(payload, str) or deadletter.get("payload_bytes") != command.get("bytes"):
        return False
    prefix = payload.split("…", 1)[0]  # a bounded payload ends with "…(N bytes)"
    return prefix != "" and raw.startswith(prefix)


def describe(item):
    v = item.get("value")
    if item["schema"] == "http":
        what = f"HTTP {item.get('method')} {item.get('path')} -> {item.get('status')}"
    elif isinstance(v, dict):
        what = f"{item['schema']} " + ", ".join(
            f"{k}={v[k]!r}" for k in ("event_id", "type", "command_id", "reference", "source", "input_id") if k in v)
    else:
        what = item["schema"]
    return f"{what} (test {item.get('test', '?')})"


def validate(docs_dir, observed):
    c = Contracts(docs_dir)
    items = []
    # A hostile test's bytes may not be UTF-8: they are read as well as they can be.
    with open(observed, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as e:
                    print(f"{observed}:{n}: not JSON ({e})")
                    return 2
    rejected = set()
    deadlettered = []
    for item in items:
        v = item.get("value")
        if item["schema"] == "event" and isinstance(v, dict) and v.get("type") == "command.rejected":
            rejected.add((v.get("command_id"), v.get("merchant"), v.get("reference")))
        if item["schema"] == "deadletter" and isinstance(v, dict) and v.get("source") == "router":
            deadlettered.append(v)

    violations = []
    counts = Counter()
    seen = set()
    for item in items:
        kind = item["schema"]
        value = item.get("value")
        headers = item.get("headers") or {}
        # Events come again (at least once; several collectors): each distinct record once.
        fingerprint = json.dumps([kind, value, headers, item.get("status"), item.get("path")], sort_keys=True)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        counts[kind] += 1
        errs = []
        if isinstance(value, dict) and set(value) == {"not_json"} and kind != "command":
            errs.append("the record is not JSON")
        elif kind == "command":
            if not isinstance(value, dict) or set(value) == {"not_json"}:
                counts["command refused as its schema says"] += 1  # not a JSON object: the router always refuses it
                continue
            errs = c.errors(c.schema("Command"), value)
            if errs:
                if command_key(value) in rejected or any(refused_by(d, item) for d in deadlettered):
                    counts["command refused as its schema says"] += 1
                    errs = []
                else:
                    errs = [e + "; and corridor did not refuse it (no command.rejected seen)" for e in errs]
            # Its traceparent may be anything: corridor ignores an invalid one, it never refuses it.
        elif kind == "input":
            errs = c.errors(c.schema("Input"), value)
            if "traceparent" in headers:
                errs += c.errors(c.schema("Traceparent"), headers["traceparent"])
        elif kind == "event":
            errs = c.errors(c.schema(event_schema(value)), value)
            errs += [f"headers {e}" for e in c.errors(c.schema("EventHeaders"), headers)]
            errs += header_errors(value, headers)
        elif kind == "deadletter":
            errs = c.errors(c.schema("DeadLetter"), value)
            if headers:
                errs += [f"headers {e}" for e in c.errors(c.schema("DeadLetterHeaders"), headers)]
        elif kind == "http":
            errs = c.http_errors(item["method"], item["path"], int(item["status"]), item.get("content_type", ""), value,
                                 item.get("listener", "operations"))
        else:
            errs = [f"unknown kind {kind!r}"]
        for e in errs:
            violations.append(f"{describe(item)}: {e}")
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if violations:
        shown = violations[:50]
        print(f"contracts: {len(violations)} violation(s) among {summary}:")
        print("\n".join("  " + v for v in shown))
        if len(violations) > len(shown):
            print(f"  … and {len(violations) - len(shown)} more")
        return 1
    print(f"contracts: every record matches the documents ({summary})")
    return 0


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "check-docs":
            return check_docs(argv[2])
        if len(argv) == 4 and argv[1] == "validate":
            return validate(argv[2], argv[3])
    except (OSError, yaml.YAMLError) as e:
        print(f"contracts: cannot read the documents: {e}")
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
