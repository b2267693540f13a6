"""A throwaway certificate authority for TLS tests, made with the openssl command."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA's certificate (PEM): what clients trust
    keystore: Path  # the server's key and certificate chain in one PEM file


def make_certificates(directory: Path, host: str = "127.0.0.1") -> Certificates:
    """A CA and a server certificate for ``host`` (an IP subjectAltName), valid two days."""
    directory.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, capture_output=True, check=True)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=omnichannel test CA",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", f"/CN={host}",
    )  # fmt: skip
    (directory / "san.ext").write_text(f"subjectAltName=IP:{host}\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext",
    )  # fmt: skip
    keystore = directory / "server-keystore.pem"
    key, chain = (directory / "server.key").read_bytes(), (directory / "server.pem").read_bytes()
    keystore.write_bytes(key + chain)
    return Certificates(directory / "ca.pem", keystore)
