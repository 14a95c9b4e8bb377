"""Camera analytics: decode streams, detect and track on ONNX Runtime, publish events over MQTT."""
