"""Start page: open a saved result, diagnose uploaded files, or try the bundled sample."""
import dash_components as ui
import dash_data
import dash_state
import streamlit as st

import diagnose

NOT_PRESENT = "(not in my files)"
ROLES = {"eval": "Eval rows (required)", "train": "Training rows", "annotations": "Annotations",
         "contexts": "Retrieved contexts"}

st.title("diagnose")
st.markdown("Why did the model get these examples wrong? Open a diagnosis, run one on your files, "
            "or try the bundled sample.")
tab_open, tab_run, tab_sample = st.tabs(["Open a saved result", "Diagnose my files", "Try the sample"])

with tab_open:
    directory = st.text_input("Result directory (written by `diagnose run --out DIR`)", key="start_dir",
                              placeholder="/path/to/result")
    if st.button("Open", key="start_open", type="primary") and not directory.strip():
        st.warning("Type the path of a result directory first.")
    elif st.session_state.get("start_open") and directory.strip():
        try:
            key = dash_data.result_key(directory.strip())
            dash_data.load_result(key.path, key.mtime)
        except diagnose.DiagnoseError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            dash_state.open_result(key.path, "opened")
            st.rerun()

with tab_run:
    st.caption("CSV, Parquet or JSON Lines. Only the eval file is required; each other file "
               "switches on the analyzers that need it.")
    uploads = {}
    cols = st.columns(2)
    for i, (role, label) in enumerate(ROLES.items()):
        uploads[role] = cols[i % 2].file_uploader(label, key=f"start_upload_{role}",
                                                  type=["csv", "parquet", "pq", "jsonl", "ndjson", "json"])
    files = {role: dash_data.save_upload(up.name, up.getvalue(), up.file_id)
             for role, up in uploads.items() if up is not None}
    mapping = {}
    if "eval" in files:
        found = {}
        try:
            found = {role: dash_data.columns_of(path, role) for role, path in files.items()}
        except diagnose.DiagnoseError as exc:
            st.error(str(exc), icon=":material/error:")
        unmatched = dash_data.unmatched_fields(found)
        if unmatched:
            st.markdown("**Column mapping**: these columns were not found under their default names.")
            map_cols = st.columns(min(len(unmatched), 4))
            for i, (field, options) in enumerate(unmatched.items()):
                mapping[field] = map_cols[i % len(map_cols)].selectbox(
                    f"`{field}` column", [NOT_PRESENT, *options], key=f"start_map_{field}")
    if st.button("Run the diagnosis", key="start_run", type="primary", disabled="eval" not in files):
        columns = diagnose.Columns(**{f: c for f, c in mapping.items() if c != NOT_PRESENT})
        out = ui.run_with_progress(files, columns, "Running the diagnosis…")
        if out:
            dash_state.open_result(out, "uploaded files")
            st.rerun()

with tab_sample:
    st.markdown("The bundled **intents** sample: a banking-intent classifier with training rows "
                "and annotator votes (takes about a minute the first time).")
    if st.button("Load the sample", key="start_sample", type="primary"):
        with st.spinner("Diagnosing the bundled sample…"):
            out = dash_data.sample_result_dir()
        dash_state.open_result(out, "sample")
        st.rerun()
