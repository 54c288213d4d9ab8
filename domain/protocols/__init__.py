"""Wire protocols other clients speak (Open Inference / KServe v2, MLflow scoring), as the
rows a prediction takes and the answers they expect; no HTTP here."""
