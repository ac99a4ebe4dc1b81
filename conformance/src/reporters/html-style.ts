/** The report's only stylesheet, inlined so the file works offline, as a CI artifact and from `file://`. */
export const HTML_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --panel: #f6f8fa;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --warn: #9a6700; --warn-bg: #fff8c5; --skip: #59636e; --skip-bg: #eff2f5; --link: #0969da;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --panel: #151b23;
    --pass: #3fb950; --pass-bg: #12261e; --fail: #ff7b72; --fail-bg: #3c1618;
    --warn: #d29922; --warn-bg: #2e2410; --skip: #9198a1; --skip-bg: #212830; --link: #4493f8;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-text-size-adjust: 100%;
}
header, main, footer { max-width: 76rem; margin: 0 auto; padding: 0 1.5rem; }
header { padding-top: 2rem; padding-bottom: 1rem; border-bottom: 1px solid var(--border); }
footer { color: var(--muted); font-size: .85em; padding-top: 2rem; padding-bottom: 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 .35rem; display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; }
h2 { font-size: 1.25rem; margin: 2.25rem 0 .75rem; padding-bottom: .3rem; border-bottom: 1px solid var(--border); }
h2 small { font-weight: normal; color: var(--muted); font-size: .8em; margin-left: .5rem; }
h3 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 1rem 0 .4rem; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: .85em; }
pre {
  margin: .35rem 0; padding: .6rem .8rem; max-height: 28rem; overflow: auto;
  background: var(--panel); border: 1px solid var(--border); border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere;
}
.muted { color: var(--muted); }
.meta { color: var(--muted); margin: 0; }
.passed { --c: var(--pass); --c-bg: var(--pass-bg); }
.failed { --c: var(--fail); --c-bg: var(--fail-bg); }
.warned { --c: var(--warn); --c-bg: var(--warn-bg); }
.skipped, .empty { --c: var(--skip); --c-bg: var(--skip-bg); }
.pill {
  display: inline-block; min-width: 4.8em; padding: .05em .55em; border-radius: 999px; text-align: center;
  background: var(--c-bg); color: var(--c); font-size: .72rem; font-weight: 650; letter-spacing: .04em; text-transform: uppercase;
}
h1 .pill { font-size: .8rem; padding: .2em .8em; }
.totals { display: flex; flex-wrap: wrap; gap: .6rem; list-style: none; padding: 0; margin: 1rem 0 0; }
.totals li { background: var(--c-bg); color: var(--c); border-radius: 8px; padding: .45rem .9rem; min-width: 7rem; }
.totals b { display: block; font-size: 1.6rem; line-height: 1.1; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
.matrix th, .matrix td { border: 1px solid var(--border); padding: .4rem .75rem; }
.matrix thead th { font-size: .8rem; letter-spacing: .04em; color: var(--muted); }
.matrix tbody th { text-align: left; }
.matrix td { text-align: center; white-space: nowrap; font-variant-numeric: tabular-nums; font-weight: 600; background: var(--c-bg); color: var(--c); }
.matrix td.empty { font-weight: normal; }
.legend { color: var(--muted); font-size: .85em; }
.issues { list-style: none; padding: 0; margin: 0; }
.issues > li { border-left: 4px solid var(--c); background: var(--panel); border-radius: 0 6px 6px 0; padding: .5rem .8rem; margin: .5rem 0; }
.messages { margin: .3rem 0 0; padding-left: 1.2rem; }
.messages li { white-space: pre-wrap; overflow-wrap: anywhere; }
.reqs { color: var(--muted); font-size: .85em; }
details.case { border: 1px solid var(--border); border-left: 4px solid var(--c); border-radius: 6px; margin: .4rem 0; }
details.case:target { outline: 2px solid var(--link); }
summary { cursor: pointer; padding: .45rem .75rem; }
details.case > summary { display: flex; flex-wrap: wrap; gap: .3rem .6rem; align-items: baseline; }
details.case > summary .desc { flex: 1 1 18rem; }
details.case > summary .duration { color: var(--muted); font-size: .85em; font-variant-numeric: tabular-nums; }
.case-body { padding: 0 1rem .8rem; border-top: 1px solid var(--border); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .8rem 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.facts ul { margin: 0; padding: 0; list-style: none; }
details.exchange { border: 1px solid var(--border); border-radius: 6px; margin: .5rem 0; background: var(--bg); }
details.exchange > summary { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, monospace; font-size: .85em; }
.panes { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0 1.2rem; padding: 0 .8rem .6rem; }
.panes > section { min-width: 0; }
.kv { width: 100%; font-size: .85em; }
.kv th, .kv td { text-align: left; vertical-align: top; padding: .1rem .5rem .1rem 0; overflow-wrap: anywhere; }
.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
.error { color: var(--fail); }
`;
