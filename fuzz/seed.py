#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with seed inputs (files named by their SHA-1, as libFuzzer
names its own, so running this again adds nothing twice):

* the SDK vectors, ../shared/vectors/nrf_provisioning_cbor.json beside the repository (or
  proto/tests/data/ when ../shared is absent): CBOR records, the AT commands they carry
  (also as shell lines), and the modem tokens (text, parts, COSE bytes, the CSR);
* the scenario catalogue, scenarios/*.toml, and its PEM files in scenarios/data/;
* the hand-made seeds committed under fuzz/seeds/<target>/ (see fuzz/seeds/make_seeds.py).

Usage: python3 fuzz/seed.py [CORPUS_DIR]   (default: fuzz/corpus)"""

import base64
import glob
import hashlib
import json
import os
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(FUZZ)
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FUZZ, "corpus")
TARGETS = [
    "cbor_records", "at_line", "coap_session", "jwt", "modem_tokens", "csr_pem",
    "fetch_query", "claim_csv", "registry_file", "nvm_image", "modem_at", "shell_editor",
    "scenario_loader",
]
added = {t: 0 for t in TARGETS}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        added[target] += 1


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vectors():
    path = os.path.join(REPO, "..", "shared", "vectors", "nrf_provisioning_cbor.json")
    if not os.path.exists(path):
        path = os.path.join(REPO, "proto", "tests", "data", "nrf_provisioning_cbor.json")
    with open(path) as f:
        doc = json.load(f)
    lines = []
    for vector in doc["cbor"]:
        body = bytes.fromhex(vector["hex"])
        add("cbor_records", body)
        add("modem_tokens", body)
    # The AT commands the command records carry, as the device runs them.
    for vector in doc["cbor"]:
        if vector["dir"] != "server->device":
            continue
        for record in json.loads(vector["diag"]):
            if len(record) >= 4 and record[1] == 0:
                lines.append(f"AT{record[2]}={record[3]}")
    for token in doc["modem_tokens"]:
        lines.append(token["command"])
        if "value" in token:
            text = token["value"]
            add("modem_tokens", text)
            for part in text.split("."):
                add("modem_tokens", b64url_decode(part))
            add("claim_csv", f'"{text}","vector"\n')
        if "cose_hex" in token:
            add("modem_tokens", bytes.fromhex(token["cose_hex"]))
    for line in lines:
        add("at_line", b"\x00\x00" + line.encode() + b"\r\n")
        add("modem_at", line + "\r\n")
        add("shell_editor", b"\x00\x00at " + line.encode() + b"\r\n")
    add("modem_at", "\r\n".join(lines) + "\r\n")


def catalogue():
    for path in sorted(glob.glob(os.path.join(REPO, "scenarios", "*.toml"))):
        with open(path, "rb") as f:
            add("scenario_loader", f.read())
    for path in sorted(glob.glob(os.path.join(REPO, "scenarios", "data", "*.pem"))):
        with open(path, "rb") as f:
            add("csr_pem", f.read())


def hand_made():
    for path in sorted(glob.glob(os.path.join(FUZZ, "seeds", "*", "*"))):
        target = os.path.basename(os.path.dirname(path))
        if target in added and os.path.isfile(path):
            with open(path, "rb") as f:
                add(target, f.read())


vectors()
catalogue()
hand_made()
for target in TARGETS:
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
print("seeded " + ", ".join(f"{t} +{n}" for t, n in added.items()))
