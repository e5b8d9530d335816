import time, streamlit as st
t = time.perf_counter()
import runpy
