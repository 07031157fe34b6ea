// The ticket-lock Markov model of Boyd-Wickizer, Kaashoek, Morris and Zeldovich, "Non-scalable
// locks are dangerous" (Linux Symposium 2012): a closed queue of n cores in front of one lock.
// A core outside the lock comes back after an exponential time of mean `outside_mean`; the
// lock serves one core at a time, and a handoff costs more the more cores wait, because every
// waiter's copy of the ticket lock's `owner` line is invalidated and read again.
//
// State k = cores in the lock (waiting or holding), k = 0..n. Births k -> k+1 at rate
// (n-k)/outside_mean; deaths k -> k-1 at rate 1/(service_cycles + (k-1)*per_waiter_cycles):
// k-1 is the number of cores queued behind the holder, each of which re-reads `owner` when it
// is released. With one core in the lock nothing is invalidated, so service is just
// service_cycles, and a lone core runs at 1000/(outside_mean + service_cycles) per kcycle.
// docs/models.md has the derivation of the parameters from a machine and what the model omits.
#pragma once
#include <vector>

#include "config/config.hpp"

namespace lockstep::models {

struct TicketModel {
  double outside_mean = 0;       // a: mean cycles a core spends outside the lock
  double service_cycles = 0;     // s: cycles per acquisition when nobody else waits
  double per_waiter_cycles = 0;  // c: extra cycles per handoff for each waiting core
};

struct Prediction {
  double acq_per_kcycle = 0;     // expected lock acquisitions per 1000 cycles (all cores)
  double mean_waiting = 0;       // expected cores in the lock, waiting or holding (sum k*pi_k)
  std::vector<double> pi;        // steady-state probability of k cores in the lock, k = 0..n
};

// Steady state of the chain for `cores` cores (1..4096; a dense solve, meant for n <= 256).
// Throws InputError for a non-positive outside_mean or service_cycles, a negative
// per_waiter_cycles, or cores < 1.
Prediction predict(const TicketModel& m, int cores);

// s and c for a ticket lock on a snooping bus (machine.coherence: snoop), from the point's
// machine and workload; a from outside's mean (exponential: mean; fixed: cycles; uniform:
// (min+max)/2; the model itself always assumes exponential). Throws InputError for a
// directory machine, which this derivation does not cover.
TicketModel ticket_model_for(const config::Point& p);

}  // namespace lockstep::models
