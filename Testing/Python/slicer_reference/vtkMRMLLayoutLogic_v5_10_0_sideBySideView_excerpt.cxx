// Excerpt of Slicer v5.10.0 Libs/MRML/Logic/vtkMRMLLayoutLogic.cxx (lines 692-709): the side-by-side layout
// (vtkMRMLLayoutNode::SlicerLayoutSideBySideView = 29, Libs/MRML/Core/vtkMRMLLayoutNode.h line 151).
// Copyright Slicer contributors, 3D Slicer license (BSD-style), https://github.com/Slicer/Slicer
const char* sideBySideView = //
  "<layout type=\"horizontal\">"
  "  <item>"
  "   <view class=\"vtkMRMLSliceNode\" singletontag=\"Red\">"
  "    <property name=\"orientation\" action=\"default\">Axial</property>"
  "    <property name=\"viewlabel\" action=\"default\">R</property>"
  "    <property name=\"viewcolor\" action=\"default\">#F34A33</property>"
  "   </view>"
  "  </item>"
  "  <item>"
  "   <view class=\"vtkMRMLSliceNode\" singletontag=\"Yellow\">"
  "    <property name=\"orientation\" action=\"default\">Axial</property>"
  "    <property name=\"viewlabel\" action=\"default\">Y</property>"
  "    <property name=\"viewcolor\" action=\"default\">#EDD54C</property>"
  "   </view>"
  "  </item>"
  "</layout>";

