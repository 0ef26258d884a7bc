"""schemathesis hooks for ci/contract.sh: how to generate what JSON Schema cannot describe.

A claim token (format `nrf-attestation-token` in the OpenAPI document) is a modem's signed
attestation, `<b64url CBOR>.<b64url COSE_Sign1>`: no generator can invent one that decodes,
so valid claims draw from real tokens of simulated modems (the README's, and
server/tests/all's fixture). Only data generation is customised here; every check stays
schemathesis's default.
"""

import schemathesis
from hypothesis import strategies as st

TOKENS = [
    "2dn3hQFQGUVKJ7dSSQWQlQfWFg3ciANQe6lqGKwgS5mi7sm9Jf5R-1BpnsRZsrndQgJrOVB3SvIs.0oRDoQEmoQRBIfZYQEUiofGCEiTLXd3LeeuMxR4APNsHcqKWSOg_cKLmPXKXYnkV_q4sb_toqBeqOahIX71FauRHnxx7jClb6El762U",
    "2dn3hQFQUDYxVDkxRPCAIhIbZAFifQNQGv86y_GmR2SiY0wmRsHGVFDT791_BPH8YOWFiyCHND1q.0oRDoQEmoQRBIfZYQGuXwJliinHc6xDPruiyjsaXyXZbZVpUuOhHG9YS8L05VuglCcJhMN4EUhWVGpaHgNnHHno6ahi-d5tOeZmAcNY",
]

schemathesis.openapi.format("nrf-attestation-token", st.sampled_from(TOKENS))
