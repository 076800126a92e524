"""Small FastAPI services the serving and load tests run under a real uvicorn."""
