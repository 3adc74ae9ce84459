"""Core library: arrays and pixel spacing in millimetres in, arrays and dataclasses out. No Slicer, no VTK."""
