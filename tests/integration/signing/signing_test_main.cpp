// The signing integration tests share one hsm-sim (see hsm_sim.hpp).
#include "hsm_sim.hpp"

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new lgsp::test::HsmSimEnvironment);
  return RUN_ALL_TESTS();
}
