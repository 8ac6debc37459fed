// The runs browser's tests launch real runs the same way as the tests of panels/common.
#include "common/support_project.cpp"
