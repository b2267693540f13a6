"""The console's one stylesheet, inline in every page (no external asset, no CDN), and
the Content-Security-Policy that allows exactly it: no script runs on a console page."""

from __future__ import annotations

import base64
import hashlib

CSS = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa;--accent:#0b5cad;
--ok:#116329;--warn:#7d4e00;--bad:#a40e26}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,textarea:focus,select:focus,main:focus{
outline:3px solid #f0a500;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header{background:#0d2538;color:#fff}
header nav{display:flex;align-items:center;gap:24px;max-width:1280px;margin:0 auto;padding:8px 20px}
header .brand{font-weight:700}
header ul{display:flex;gap:18px;list-style:none;margin:0;padding:0;flex:1}
header a{color:#fff;text-decoration:none;padding:4px 2px}
header a[aria-current=page]{border-bottom:3px solid #f0a500}
main{max-width:1280px;margin:0 auto;padding:12px 20px 40px}
h1{font-size:1.5rem;margin:.4rem 0 .6rem}
h2{font-size:1.15rem;margin:1.4rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:4px}
.subnav{display:flex;gap:14px;margin:0 0 10px;padding:0;list-style:none}
.subnav a{padding:4px 10px;border:1px solid var(--line);border-radius:4px;text-decoration:none}
.subnav a[aria-current=page]{background:var(--accent);color:#fff;border-color:var(--accent)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:0 28px}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem;font-size:14px}
caption{text-align:left;font-weight:600;padding:4px 0;color:var(--muted)}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--panel)}
td.num,th.num{text-align:right}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:6px 18px;
margin:.2rem 0 1rem}
.facts div{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:6px 10px}
.facts dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.empty{color:var(--muted)}
.verdict{font-weight:700;padding:1px 6px;border-radius:3px;white-space:nowrap}
.verdict.sent,.verdict.best,.verdict.valid{background:#dafbe1;color:var(--ok)}
.verdict.suppressed,.verdict.refused{background:#ffebe9;color:var(--bad)}
.verdict.other{background:#fff8c5;color:var(--warn)}
form.card,section.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;
padding:12px 16px;margin:.6rem 0 1rem}
label{display:block;font-weight:600;margin:.4rem 0 .2rem}
input[type=text],input[type=password],select{font:inherit;padding:6px 8px;min-width:320px;
border:1px solid #8c959f;border-radius:4px}
textarea{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;width:100%;min-height:16rem;
padding:8px;border:1px solid #8c959f;border-radius:4px}
button{font:inherit;font-weight:600;padding:6px 14px;border-radius:4px;
border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;margin-top:.5rem}
button.danger{background:var(--bad);border-color:var(--bad)}
button.secondary{background:#fff;color:var(--accent)}
.logout button{background:transparent;border-color:#fff;margin:0;padding:3px 10px}
.hint{color:var(--muted);font-size:13px;margin:.2rem 0}
.notice{border-left:4px solid var(--accent);background:#ddf4ff;padding:8px 12px;margin:.6rem 0}
.error{border-left:4px solid var(--bad);background:#ffebe9;padding:8px 12px;margin:.6rem 0}
.error code,.notice code{overflow-wrap:anywhere}
pre{background:var(--panel);border:1px solid var(--line);padding:8px;overflow:auto;max-height:24rem;
font-size:12.5px;white-space:pre-wrap;overflow-wrap:anywhere}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
.inline{display:inline}
"""

CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()

#: Sent with every console page: only this stylesheet, no script, forms to this origin.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
