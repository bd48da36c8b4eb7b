"""Pure statistics and tables over the results store: DataFrame in, DataFrame out; never imports streamlit."""
