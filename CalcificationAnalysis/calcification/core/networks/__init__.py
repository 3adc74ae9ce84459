"""Segmentation networks (PyTorch): Pro_UNeXt (Tong et al. 2024), UNeXt (Valanarasu & Patel 2022) and U-Net.

torch is imported only by the submodules, so importing this package stays cheap; use :mod:`.factory` to build one.
"""
