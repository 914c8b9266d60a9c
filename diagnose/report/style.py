"""The stylesheet of the HTML report: inline, responsive, printable, no fonts to fetch."""
from __future__ import annotations

__all__ = ["CSS"]

CSS = """
:root{--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--accent:#1d4ed8;--warn:#b45309;--ok:#047857;--mark:#fde68a}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
main{max-width:1040px;margin:0 auto;padding:24px 20px 64px}
header.top{background:#0f172a;color:#f8fafc;padding:22px 20px}
header.top .inner{max-width:1040px;margin:0 auto}
header.top h1{margin:0;font-size:24px;letter-spacing:-.01em}
header.top p{margin:4px 0 0;color:#cbd5e1;font-size:13px}
nav.toc{max-width:1040px;margin:0 auto;padding:10px 20px;display:flex;flex-wrap:wrap;gap:6px 18px;font-size:13px}
nav.toc a{color:var(--accent);text-decoration:none}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px;margin:18px 0}
h2{font-size:20px;margin:0 0 12px;letter-spacing:-.01em}
h3{font-size:16px;margin:18px 0 8px}
.headline{font-size:17px;margin:0 0 16px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:0 0 18px}
.kpi{border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.kpi b{display:block;font-size:26px;line-height:1.2}
.kpi span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.chart{display:block;max-width:600px;height:auto;margin:6px 0 12px}
.chart.stacked{max-width:100%;height:28px;border-radius:6px;overflow:hidden}
.chart-label{font-size:13px;fill:#374151}
.chart-value{font-size:12px;fill:#374151}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;margin:0 0 14px;padding:0;list-style:none}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.table-wrap{overflow-x:auto;margin:8px 0 14px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:#374151;background:#f9fafb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:var(--muted)}
.note{font-size:13px;color:var(--muted)}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600}
.pill.ran{background:#dcfce7;color:var(--ok)}
.pill.skipped,.pill.not_run{background:#fef3c7;color:var(--warn)}
.cause{border-left:5px solid var(--c,#9ca3af)}
.cause h2 .count{font-weight:500;color:var(--muted);font-size:15px;margin-left:8px}
.action{background:#eff6ff;border:1px solid #bfdbfe;border-radius:8px;padding:10px 14px;margin:12px 0}
.action .ids{font-size:12.5px;color:#374151;margin-top:4px}
.skip{background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:10px 14px}
.example{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:10px 0;break-inside:avoid}
.example .meta{font-size:13px;color:#374151}
.example .text{margin:6px 0;padding:6px 10px;background:#f9fafb;border-radius:6px}
.example .evidence{font-size:13px;color:#374151}
.example ul{margin:6px 0 0;padding-left:20px;font-size:13px}
.id,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.lab{font-weight:600}
mark{background:var(--mark);padding:0 2px;border-radius:2px}
.text,.evidence,li,.ids{overflow-wrap:anywhere}
td{overflow-wrap:break-word}
details summary{cursor:pointer;color:var(--accent);font-size:13.5px}
footer{text-align:center;font-size:12px;color:var(--muted);margin-top:28px}
@media (max-width:640px){main{padding:12px 10px 40px}section{padding:14px 12px}header.top h1{font-size:20px}.kpi b{font-size:22px}table{font-size:12.5px}th,td{padding:5px 6px}}
@media print{body{background:#fff;font-size:11pt}header.top{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 8px}header.top p{color:#333}
nav.toc{display:none}main{max-width:none;padding:0}section{border:none;border-top:1px solid #999;border-radius:0;padding:10px 0;margin:10px 0;break-inside:auto}
.example,.kpi,tr,.action{break-inside:avoid}.cause{border-left:none}h2,h3{break-after:avoid}a{color:#000}
.table-wrap{overflow:visible}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""
