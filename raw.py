import numpy as np, streamlit as st
p = np.random.default_rng(0).dirichlet(np.ones(10))
st.vega_lite_chart({"data": {"values": [{"digit": str(d), "probability": float(v)} for d, v in enumerate(p)]},
    "mark": "bar", "encoding": {"x": {"field": "digit", "type": "ordinal"}, "y": {"field": "probability", "type": "quantitative"}}}, height=200)
