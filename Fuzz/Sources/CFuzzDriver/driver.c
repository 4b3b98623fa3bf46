// Only the declaration in include/CFuzzDriver.h matters: libFuzzer's runtime defines the function.
#include "CFuzzDriver.h"
