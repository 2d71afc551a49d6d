// Crash recovery (layout.h R1-R4) with real processes: for every crash point,
// a forked child opens the same segment, arms the point and runs the operation
// that reaches it, so it _exit(70)s holding the structure and/or slot mutexes
// mid-operation. The parent then must:
//   - complete reads and writes within a bounded time (2 s; measured, printed),
//   - find Table::CheckInvariants() == "",
//   - find every key the child was not touching intact (value and type),
//   - see stats.recoveries >= 1.
// Not for the TSan build: TSan does not support fork() (see build.sh).
#include <signal.h>
#include <sys/wait.h>

#include <cinttypes>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "../../src/core/robust_mutex.h"
#include "check.h"

using fsmm::CrashPoint;
using fsmm::PutMode;
using fsmm::Status;
using fsmm::Table;
using namespace ntest;

namespace {

constexpr double kBoundSeconds = 2.0;       // generous: a 2-core machine shared with other work
constexpr double kChildDeadlineSeconds = 20.0;

void WaitMs(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

// Waits for the child (bounded); returns its exit code, or -1 after killing it.
int WaitChild(pid_t pid) {
  double start = NowSeconds();
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    CHECK(r >= 0);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (NowSeconds() - start > kChildDeadlineSeconds) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      return -1;
    }
    WaitMs(1);
  }
}

struct Scenario {
  CrashPoint point;
  const char* variant;
  uint32_t evict;
  // The child's operation (after ArmCrashPoint); must reach the point.
  std::function<void(Table*)> child_op;
  // Keys the child touches: they may be lost (or hold the old/new value).
  std::set<std::string> touched;
  // What the parent does first after the crash (exercises a specific R path).
  std::function<void(Table*)> first_parent_op;
  bool clear = false;       // the child was clearing: any key may be gone, none may be wrong
  bool evicting = false;    // the child evicted one unknown key
  std::string also_ok = "";  // another acceptable value of a touched key (written by first_parent_op)
};

struct Baseline {
  std::map<std::string, std::string> kv;  // every key set before the crash
  std::vector<std::string> chain;         // keys sharing home slot 5, in slot order
};

Baseline Populate(Table* t, uint64_t max_keys) {
  Baseline b;
  const uint64_t sc = SlotCount(t);
  int n = 0;
  for (int i = 0; i < 4; i++) b.chain.push_back(KeyWithHome("chain", 5, sc, &n));
  for (auto& k : b.chain) b.kv[k] = "value-of-" + k;
  // Wrap-around chain too: home = last slot.
  for (int i = 0; i < 2; i++) {
    std::string k = KeyWithHome("wrap", sc - 1, sc, &n);
    b.kv[k] = "value-of-" + k;
  }
  for (int i = 0; b.kv.size() < max_keys; i++) b.kv["plain" + std::to_string(i)] = std::string(20 + i, 'a' + i % 26);
  for (auto& kv : b.kv) CHECK_ST(Set(t, kv.first, kv.second), Status::kOk);
  CHECK_INVARIANTS(*t);
  return b;
}

void RunScenario(const Scenario& sc) {
  const char* point = fsmm::CrashPointName(sc.point);
  NameGuard guard(UniqueName("crash"));
  const uint64_t kMaxKeys = 16;
  fsmm::OpenOptions opts = Options(guard.name, kMaxKeys, 32, 64, sc.evict);
  Table parent;
  MustOpen(&parent, opts);
  Baseline base = Populate(&parent, sc.evict == fsmm::kEvictLru ? kMaxKeys : kMaxKeys - 2);
  fflush(stdout);
  fflush(stderr);

  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    Table child;  // its own handle, like another process attaching
    fsmm::OpenError e;
    if (child.Open(opts, &e) != Status::kOk) _exit(3);
    fsmm::ArmCrashPoint(sc.point);
    sc.child_op(&child);
    _exit(0);  // the point was not reached: the scenario is wrong
  }
  int code = WaitChild(pid);
  CHECKF(code == 70, "crash point %s: child exited %d, expected 70 (crash point reached)", point, code);

  // Bounded recovery: every operation below must complete.
  double start = NowSeconds();
  if (sc.first_parent_op) sc.first_parent_op(&parent);
  std::string v;
  uint32_t type = 0;
  int lost = 0;
  for (auto& kv : base.kv) {
    Status s = Get(&parent, kv.first, &v, &type);
    if (sc.touched.count(kv.first) || sc.clear || sc.evicting) {
      // May be gone; if present it must be whole: its old value or the child's new one.
      if (s == Status::kOk) {
        CHECKF(v == kv.second || v == "new-" + kv.first || (!sc.also_ok.empty() && v == sc.also_ok), "%s: touched key %s has a torn value \"%s\"", point,
               kv.first.c_str(), v.c_str());
      } else {
        lost++;
      }
      continue;
    }
    CHECKF(s == Status::kOk, "%s: untouched key %s is %s", point, kv.first.c_str(), fsmm::StatusName(s));
    CHECKF(v == kv.second && type == fsmm::kTypeString, "%s: untouched key %s has \"%s\"", point, kv.first.c_str(),
           v.c_str());
  }
  // Writes: update, delete and re-insert an untouched key, insert a new one.
  std::string survivor;
  for (auto& kv : base.kv) {
    if (!sc.touched.count(kv.first) && Get(&parent, kv.first, &v) == Status::kOk) {
      survivor = kv.first;
      break;
    }
  }
  if (!survivor.empty()) {
    CHECK_ST(Set(&parent, survivor, "updated"), Status::kOk);
    CHECK_ST(Del(&parent, survivor), Status::kOk);
    CHECK_ST(Set(&parent, survivor, base.kv[survivor]), Status::kOk);
  }
  std::string why = parent.CheckInvariants();
  fsmm::TableStats st;
  parent.GetStats(&st);
  if (st.size >= kMaxKeys && sc.evict != fsmm::kEvictLru) CHECK_ST(Del(&parent, base.chain[1]), Status::kOk);
  CHECK_ST(Set(&parent, "after-crash", "ok"), Status::kOk);
  CHECK_ST(Get(&parent, "after-crash", &v), Status::kOk);
  double elapsed = NowSeconds() - start;

  CHECKF(why.empty(), "%s: CheckInvariants after recovery: %s", point, why.c_str());
  CHECK_INVARIANTS(parent);
  CHECKF(st.recoveries >= 1, "%s: recoveries %" PRIu64, point, st.recoveries);
  if (sc.evicting) CHECKF(lost <= 1, "%s: %d keys lost, eviction removes one", point, lost);
  if (!sc.clear && !sc.evicting) CHECKF(lost <= static_cast<int>(sc.touched.size()), "%s: lost %d", point, lost);
  printf("  %-20s %-26s recovered in %7.3f ms (bound %.0f ms), recoveries %" PRIu64 ", touched keys lost %d\n",
         point, sc.variant, elapsed * 1000, kBoundSeconds * 1000, st.recoveries, lost);
  CHECKF(elapsed < kBoundSeconds, "%s: recovery took %.3f s", point, elapsed);
  // A second handle sees the same repaired table.
  Table again;
  MustOpen(&again, opts);
  CHECK_ST(Get(&again, "after-crash", &v), Status::kOk);
  CHECK_INVARIANTS(again);
}

std::vector<Scenario> Scenarios(const Baseline& b) {
  // Keys are computed from a probe table of the same geometry (homes depend
  // only on slot_count).
  const std::string head = b.chain[0];
  const std::string plain = "plain3";
  std::vector<Scenario> s;
  auto update = [plain](Table* t) { Set(t, plain, "new-" + plain); };
  s.push_back({CrashPoint::kUpdateMidWrite, "then lock-free get", fsmm::kEvictNone, update, {plain},
               [plain](Table* t) {
                 std::string v;
                 Get(t, plain, &v);  // R5 -> ReadLocked -> R1 (slot only)
               }});
  s.push_back({CrashPoint::kUpdateMidWrite, "then in-place update", fsmm::kEvictNone, update, {plain},
               [plain](Table* t) { CHECK_ST(Set(t, plain, "new-" + plain), Status::kOk); }});  // Mutate fast path R1
  Scenario incr{CrashPoint::kUpdateMidWrite, "then incr", fsmm::kEvictNone, update, {plain},
                [plain](Table* t) {
                  int64_t r = 0;  // the torn entry is dropped (R1), so incr starts from initial 0
                  CHECK_ST(t->Incr(U8(plain), Len(plain), 1, 0, 0, &r), Status::kOk);
                  CHECK(r == 1);
                }};
  incr.also_ok = "1";
  s.push_back(incr);
  auto insert = [](Table* t) { Set(t, "new-key", "new-new-key"); };
  s.push_back({CrashPoint::kInsertMidWrite, "insert", fsmm::kEvictNone, insert, {"new-key"}, nullptr});
  s.push_back({CrashPoint::kInsertBeforeCount, "insert", fsmm::kEvictNone, insert, {"new-key"}, nullptr});
  auto del_head = [head](Table* t) { Del(t, head); };
  s.push_back({CrashPoint::kDeleteAfterEmpty, "delete chain head", fsmm::kEvictNone, del_head, {head}, nullptr});
  s.push_back({CrashPoint::kShiftMidCopy, "delete chain head", fsmm::kEvictNone, del_head, {head}, nullptr});
  s.push_back({CrashPoint::kShiftAfterCopy, "delete chain head", fsmm::kEvictNone, del_head, {head}, nullptr});
  s.push_back({CrashPoint::kShiftAfterCopy, "then update moved key", fsmm::kEvictNone, del_head, {head},
               [b](Table* t) { CHECK_ST(Set(t, b.chain[1], "value-of-" + b.chain[1]), Status::kOk); }});
  Scenario clear{CrashPoint::kClearMidway, "clear", fsmm::kEvictNone, [](Table* t) { t->Clear(); }, {}, nullptr};
  clear.clear = true;
  s.push_back(clear);
  Scenario evict{CrashPoint::kEvictMidway, "lru insert into full", fsmm::kEvictLru, insert, {"new-key"}, nullptr};
  evict.evicting = true;
  s.push_back(evict);
  return s;
}

// R4: the process that recovers dies in turn (mid-write of its own update,
// right after taking over an owner-dead structure mutex); the next one repeats.
void TestRecovererDies() {
  NameGuard guard(UniqueName("crash2"));
  fsmm::OpenOptions opts = Options(guard.name, 16, 32, 64);
  Table parent;
  MustOpen(&parent, opts);
  Baseline base = Populate(&parent, 14);
  const std::string head = base.chain[0];
  auto crash_child = [&](CrashPoint p, std::function<void(Table*)> op) {
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      Table c;
      fsmm::OpenError e;
      if (c.Open(opts, &e) != Status::kOk) _exit(3);
      fsmm::ArmCrashPoint(p);
      op(&c);
      _exit(0);
    }
    CHECK(WaitChild(pid) == 70);
  };
  crash_child(CrashPoint::kShiftMidCopy, [&](Table* t) { Del(t, head); });
  // The second child repairs (R3) while taking structure for its delete,
  // then dies mid-shift of that delete.
  crash_child(CrashPoint::kShiftMidCopy, [&](Table* t) { Del(t, base.chain[1]); });
  double start = NowSeconds();
  CHECK_INVARIANTS(parent);
  double elapsed = NowSeconds() - start;
  std::string v;
  for (auto& kv : base.kv) {
    if (kv.first == head || kv.first == base.chain[1]) continue;
    CHECK_ST(Get(&parent, kv.first, &v), Status::kOk);
    CHECK(v == kv.second);
  }
  fsmm::TableStats st;
  parent.GetStats(&st);
  CHECK(st.recoveries >= 2);
  printf("  %-20s %-26s recovered in %7.3f ms, recoveries %" PRIu64 "\n", "recoverer dies", "shift-mid-copy x2",
         elapsed * 1000, st.recoveries);
  CHECK(elapsed < kBoundSeconds);
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IONBF, 0);
  // Every crash point is covered (kCount is the number of points + 1).
  std::set<int> covered;
  Baseline probe;
  {
    NameGuard guard(UniqueName("probe"));
    Table t;
    MustOpen(&t, Options(guard.name, 16, 32, 64));
    probe = Populate(&t, 14);
  }
  for (auto& sc : Scenarios(probe)) {
    printf("crash_test: %s (%s)\n", fsmm::CrashPointName(sc.point), sc.variant);
    RunScenario(sc);
    covered.insert(static_cast<int>(sc.point));
  }
  for (int p = 1; p < static_cast<int>(CrashPoint::kCount); p++) {
    CHECKF(covered.count(p), "crash point %s has no scenario", fsmm::CrashPointName(static_cast<CrashPoint>(p)));
  }
  printf("crash_test: recoverer dies too (R4)\n");
  TestRecovererDies();
  printf("crash_test: ok\n");
  return 0;
}
