#!/usr/bin/env python3
"""Nordic's nrfcredstore (unmodified, from PyPI) against `provlab modem --pty`.

ci/modem-tools.sh starts the modem and calls this once per mode with the modem's PTY and the
identity it printed. Every step runs the real tool through the PTY shim and asserts on what it
printed or wrote; bad input is sent with pyserial directly. Exits non-zero on the first failed
check, after printing what was seen.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import warnings

import cbor2
import serial
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

STEP_TIMEOUT = 60
# Device types of the attestation token (modem.md, "Token formats").
DEVICE_TYPES = {"nRF9160-SIAA": 1, "nRF9160-SIBA": 2, "nRF9160-SICA": 3, "nRF9161-LACA": 4}


class CheckFailed(Exception):
    pass


class Run:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.identity = read_identity(args.info)
        self.env = dict(os.environ, PYTHONPATH=args.shim, PTY_PORTS=args.pty)

    def check(self, ok, what, seen=None):
        if not ok:
            detail = f"\n    seen: {seen!r}" if seen is not None else ""
            raise CheckFailed(f"{what}{detail}")
        self.passed += 1
        print(f"  ok: {what}")

    def tool(self, *argv, expect_ok=True):
        """Runs nrfcredstore on the PTY; returns (exit code, stdout, stderr, seconds)."""
        cmd = [os.path.abspath(self.args.nrfcredstore), self.args.pty, *argv]
        print(f"$ nrfcredstore {' '.join(argv)}")
        started = time.monotonic()
        try:
            done = subprocess.run(
                cmd, env=self.env, cwd=self.args.workdir, capture_output=True, text=True,
                timeout=STEP_TIMEOUT, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            raise CheckFailed(f"nrfcredstore {' '.join(argv)} did not finish in {STEP_TIMEOUT} s:"
                              f" stdout {e.stdout!r} stderr {e.stderr!r}")
        took = time.monotonic() - started
        for line in done.stdout.splitlines():
            print(f"    | {line}")
        if expect_ok:
            self.check(done.returncode == 0,
                       f"exit status 0 ({took:.1f} s)", (done.returncode, done.stderr))
        return done.returncode, done.stdout, done.stderr, took

    def listing(self):
        _, out, _, _ = self.tool("list")
        lines = out.splitlines()
        self.check(bool(lines) and lines[0].split() == ["Secure", "tag", "Key", "type", "SHA"],
                   "list prints its table header", out)
        rows = []
        for line in lines[1:]:
            tag, kind, sha = line.split()
            rows.append((int(tag), kind, sha))
        return rows


def read_identity(path):
    """The modem's stdout: the PTY path, then `key: value` lines."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    return dict(line.split(": ", 1) for line in lines[1:] if ": " in line)


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_ca(path, common_name):
    """A self-signed P-256 CA certificate as PEM, LF line ends, no trailing newline."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).rstrip(b"\n")
    with open(path, "wb") as f:
        f.write(pem)
    return pem


def expected_sha(run, pem):
    """What the modem lists for a PEM written by the tool. In AT mode the content arrives as
    it is in the file. In shell mode the tool sends each line break as a literal `\\n` and the
    AT shell (CONFIG_AT_SHELL_UNESCAPE_LF) turns it into CR LF, as on a real board."""
    content = pem if run.args.mode == "at" else pem.replace(b"\n", b"\r\n")
    return hashlib.sha256(content).hexdigest().upper()


# --- bad input, straight over the serial line -------------------------------------------------

def read_until(port, marker, timeout=10.0):
    got = b""
    deadline = time.monotonic() + timeout
    while marker not in got:
        if time.monotonic() > deadline:
            raise CheckFailed(f"no {marker!r} within {timeout} s; got {got[-300:]!r}")
        got += port.read(4096)
    return got


def drain(port, quiet=0.3, limit=30.0):
    """Reads until nothing arrives for `quiet` seconds."""
    got = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        chunk = port.read(65536)
        if not chunk:
            time.sleep(quiet)
            chunk = port.read(65536)
            if not chunk:
                break
        got += chunk
    return got


def write_draining(port, data, chunk=1024):
    """Writes `data` in chunks, reading the output as it comes (as a terminal would)."""
    got = b""
    for i in range(0, len(data), chunk):
        port.write(data[i:i + chunk])
        got += port.read(port.in_waiting)
    return got + drain(port)


def bad_input_at(run, port):
    rng = random.Random(7)
    garbage = bytes(rng.choice([b for b in range(256) if b != ord('"')]) for _ in range(4096))
    port.write(garbage + b"\r\n")
    out = drain(port)
    lines = out.split(b"\r\n")
    run.check(lines[-1] == b"" and len(lines) > 1 and all(l == b"ERROR" for l in lines[:-1]),
              f"4 KiB of garbage: only ERROR lines ({len(lines) - 1})", out[:200])
    port.write(b"AT\r\n")
    run.check(read_until(port, b"\r\n") == b"OK\r\n", "then AT gets OK")

    port.write(b'AT%CMNG=0,9,0,"' + b"\n" * 20000)
    run.check(read_until(port, b"\r\n") == b"ERROR\r\n",
              "unterminated quote + 20000 LF: ERROR once the 8 KiB line bound is passed")
    run.check(drain(port) == b"", "and nothing more")
    time.sleep(2.5)
    port.write(b"AT\r\n")
    run.check(read_until(port, b"\r\n") == b"OK\r\n",
              "after 2 s of silence the open quote is forgotten: AT gets OK")

    port.write(b"AT+CGSN=" + b"1" * 65536 + b"\r\n")
    run.check(read_until(port, b"\r\n") == b"ERROR\r\n", "a 64 KiB line gets one ERROR")
    port.write(b"AT+CGSN\r\n")
    out = read_until(port, b"OK\r\n")
    run.check(out == f"{run.identity['imei']}\r\nOK\r\n".encode(), "then AT+CGSN answers", out)


def bad_input_shell(run, port):
    prompt = b"uart:~$ \x1b[m"
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(4096))
    out = write_draining(port, garbage + b"\x03\x03")
    run.check(all(b < 128 for b in out), "4 KiB of garbage: bytes above 127 never echoed")
    port.write(b"at AT\r\n")
    out = read_until(port, b"OK\r\r\n\r\n" + b"\x1b[1;32m" + prompt)
    run.check(True, "then `at AT` prints OK and the prompt")

    out = write_draining(port, b"at 'AT%CMNG=0,9,0,\"" + b"\n" * 20000)
    run.check(b"not terminated: '" in out,
              "unterminated quote + 20000 LF: `not terminated: '`", out[:300])
    port.write(b"at AT\r\n")
    read_until(port, b"OK\r\r\n\r\n")
    run.check(True, "then `at AT` prints OK")

    out = write_draining(port, b"at AT+CGSN=" + b"1" * 65536 + b"\r\n")
    run.check(out.count(b"1") <= 2047, f"a 64 KiB line: echo bounded ({out.count(b'1')} digits)")
    run.check(b"ERROR\r\r\n" in out, "and the truncated command gets the modem's ERROR", out[-200:])
    port.write(b"at AT+CGSN\r\n")
    out = read_until(port, b"OK\r\r\n\r\n")
    run.check(f"{run.identity['imei']}\r\r\nOK".encode() in out, "then `at AT+CGSN` answers")


def bad_input(run):
    print("$ (pyserial) bad input over the serial line")
    port = serial.Serial(run.args.pty, 115200, timeout=0.2)
    try:
        port.reset_input_buffer()
        if run.args.mode == "at":
            bad_input_at(run, port)
        else:
            bad_input_shell(run, port)
    finally:
        port.close()


# --- the nrfcredstore session -----------------------------------------------------------------

def session(run):
    ident = run.identity
    uuid, imei, model = ident["device_uuid"], ident["imei"], ident["model"]
    print(f"modem: {run.args.pty}, {run.args.mode} mode, device {uuid}, IMEI {imei}, {model}")
    tag = 42

    _, out, _, took = run.tool("imei")
    run.check(out.strip() == f"IMEI: {imei}", "imei prints the modem's IMEI", out)
    # Detection sends `at AT+CGSN` three times with a 2 s timeout each before `AT+CGSN`: in AT
    # mode those must fail at once.
    run.check(took < 5.0, f"mode detection is fast ({took:.1f} s)")

    _, out, _, _ = run.tool("--cmd-type", run.args.mode, "imei")
    run.check(out.strip() == f"IMEI: {imei}", f"imei with --cmd-type {run.args.mode}", out)

    rows = run.listing()
    if run.args.expect_persisted is not None:
        with open(os.path.join(run.args.workdir, "persist.pem"), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest().upper()
        run.check(rows == [(run.args.expect_persisted, "ROOT_CA_CERT", sha)],
                  "the credential written in the previous run survived the restart (NVM file)",
                  rows)
        run.tool("delete", str(run.args.expect_persisted), "ROOT_CA_CERT")
        run.check(run.listing() == [], "and is gone after delete")
    else:
        run.check(rows == [], "a fresh modem lists no credentials", rows)

    bad_input(run)

    pem = make_ca(os.path.join(run.args.workdir, "ca.pem"), "provlab CI root")
    run.tool("write", str(tag), "ROOT_CA_CERT", "ca.pem")
    rows = run.listing()
    sha = expected_sha(run, pem)
    print(f"    SHA-256 of ca.pem: {hashlib.sha256(pem).hexdigest().upper()}")
    run.check(rows == [(tag, "ROOT_CA_CERT", sha)],
              f"list shows tag {tag} ROOT_CA_CERT with the SHA-256 of "
              + ("the file content" if run.args.mode == "at" else "the content with CR LF"),
              rows)

    _, out, _, _ = run.tool("generate", str(tag), "csr.der")
    run.check(f"New private key generated in secure tag {tag}" in out, "generate reports the key")
    with open(os.path.join(run.args.workdir, "csr.der"), "rb") as f:
        der = f.read()
    # The outer signatureAlgorithm closes the CSR, before the signature BIT STRING. Real
    # modems add a NULL parameter; cryptography 49+ refuses that (48 warns), hence the pin.
    ecdsa_sha256 = bytes.fromhex("06082a8648ce3d040302")
    sig_alg = (bytes.fromhex("300c") + ecdsa_sha256 + bytes.fromhex("0500")
               if run.args.csr_form == "modem" else bytes.fromhex("300a") + ecdsa_sha256)
    run.check(der.rfind(sig_alg) > len(der) - 90,
              f"the CSR's signature algorithm has the {run.args.csr_form} encoding")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csr = x509.load_der_x509_csr(der)
    run.check(csr.is_signature_valid,
              f"the CSR ({len(der)} bytes DER) parses and its signature verifies")
    cns = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    run.check(cns == [uuid], "the CSR's CN is the device UUID", cns)
    key = csr.public_key()
    run.check(isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1",
              "the CSR carries a P-256 key")
    usage = csr.extensions.get_extension_for_class(x509.KeyUsage).value
    run.check(usage.digital_signature and usage.content_commitment and usage.key_encipherment
              and usage.key_agreement,
              "the CSR requests keyUsage digitalSignature, nonRepudiation, keyEncipherment, "
              "keyAgreement")
    rows = run.listing()
    kinds = [(t, k) for t, k, _ in rows]
    run.check(kinds == [(tag, "ROOT_CA_CERT"), (tag, "CLIENT_KEY")],
              f"list shows the new CLIENT_KEY in tag {tag}", rows)

    _, out, _, _ = run.tool("attoken")
    prefix = "Attestation token: "
    token = out.strip()
    run.check(token.startswith(prefix) and token.count(".") == 1, "attoken prints a token", out)
    attest, cose = token[len(prefix):].split(".")
    raw = b64url(attest)
    # cbor2 drops the self-describe tag 55799 (d9 d9f7) when decoding: check it on the bytes.
    claims = cbor2.loads(raw)
    run.check(raw.startswith(bytes.fromhex("d9d9f7")) and len(claims) == 5 and claims[0] == 1
              and all(isinstance(claims[i], bytes) and len(claims[i]) == 16 for i in (1, 3, 4)),
              "the attestation part is 55799([1, uuid, type, fw uuid, nonce])", claims)
    run.check(claims[1].hex() == uuid.replace("-", ""),
              "the attestation token decodes to the device UUID", claims[1].hex())
    if model in DEVICE_TYPES:
        run.check(claims[2] == DEVICE_TYPES[model],
                  f"and to device type {DEVICE_TYPES[model]} ({model})", claims[2])
    sign1 = cbor2.loads(b64url(cose))
    run.check(isinstance(sign1, cbor2.CBORTag) and sign1.tag == 18 and len(sign1.value) == 4
              and sign1.value[0] == bytes.fromhex("a10126") and len(sign1.value[3]) == 64,
              "the COSE part is COSE_Sign1 with ES256 and a 64-byte signature")

    # nrfcredstore 2.1.0 never prints its "deleted" line (CredStore.delete returns None);
    # the exit status and the listing tell.
    run.tool("delete", str(tag), "ROOT_CA_CERT")
    rows = run.listing()
    run.check([(t, k) for t, k, _ in rows] == [(tag, "CLIENT_KEY")],
              "list no longer shows the certificate", rows)
    code, out, err, _ = run.tool("delete", str(tag), "ROOT_CA_CERT", expect_ok=False)
    run.check(code != 0 and "Not found" in err,
              "deleting it again fails with the modem's CME 513 (Not found)", (code, err))

    run.tool("write", str(tag + 1), "CLIENT_CERT", "ca.pem")
    rows = run.listing()
    run.check([(t, k) for t, k, _ in rows] == [(tag, "CLIENT_KEY"), (tag + 1, "CLIENT_CERT")],
              "a second credential in another tag", rows)
    _, out, _, _ = run.tool("deleteall")
    run.check(out.strip() == "All credentials deleted.", "deleteall reports it", out)
    run.check(run.listing() == [], "list is empty after deleteall")
    code, out, err, _ = run.tool("deleteall", expect_ok=False)
    run.check(code != 0 and "No keys found" in out + err,
              "deleteall on an empty modem fails", (code, out, err))

    if run.args.registry:
        with open(run.args.registry, encoding="utf-8") as f:
            devices = json.load(f)["devices"]
        run.check(any(d["device_uuid"] == uuid and d["imei"] == imei for d in devices),
                  "--registry holds this device's identity")

    if run.args.leave_persisted is not None:
        make_ca(os.path.join(run.args.workdir, "persist.pem"), "provlab CI persisted")
        run.tool("write", str(run.args.leave_persisted), "ROOT_CA_CERT", "persist.pem")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["at", "shell"], required=True)
    ap.add_argument("--pty", required=True, help="the modem's PTY path")
    ap.add_argument("--info", required=True, help="file with the modem's stdout")
    ap.add_argument("--shim", required=True, help="shared/tools/pty-shim")
    ap.add_argument("--nrfcredstore", required=True, help="the nrfcredstore executable")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--registry", help="the registry file given to provlab modem")
    ap.add_argument("--csr-form", choices=["modem", "rfc5758"], default="modem",
                    help="the --csr-form given to provlab modem")
    ap.add_argument("--leave-persisted", type=int, metavar="TAG",
                    help="finally write persist.pem to this tag (for the next run)")
    ap.add_argument("--expect-persisted", type=int, metavar="TAG",
                    help="the modem starts with persist.pem in this tag")
    args = ap.parse_args()
    run = Run(args)
    name = f"nrfcredstore-{args.mode}:"
    try:
        session(run)
    except CheckFailed as e:
        print(f"FAILED: {e}")
        print(f"{name} {run.passed} passed, 1 failed")
        return 1
    print(f"{name} {run.passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
