#pragma once
// The CDNOW sample of the shared real data (../shared/data/cdnow beside the repository, or
// under $TIERKIT_SHARED_DATA): BTYD's calibration summary and the raw sample transactions.
// Tests that use them skip (with a message) when the files are absent.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace cdnow {

inline std::string data_dir() {
  if (const char* env = std::getenv("TIERKIT_SHARED_DATA")) return std::string(env) + "/cdnow";
  return std::string(TIERKIT_SOURCE_DIR) + "/../shared/data/cdnow";
}

// btyd_cdnowSummary_cbs.csv: cust, x, t_x, T_cal, x_star, m_x (weeks).
struct cbs {
  std::vector<double> cust, x, t_x, T, x_star, m_x;
  bool found = false;
};

inline cbs read_cbs() {
  cbs c;
  std::ifstream f(data_dir() + "/btyd_cdnowSummary_cbs.csv");
  if (!f) return c;
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string cell;
    std::vector<double> v;
    while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
    c.cust.push_back(v[0]);
    c.x.push_back(v[1]);
    c.t_x.push_back(v[2]);
    c.T.push_back(v[3]);
    c.x_star.push_back(v[4]);
    c.m_x.push_back(v[5]);
  }
  c.found = !c.x.empty();
  return c;
}

// CDNOW_sample.txt: master id, sample id, yyyymmdd, cds, dollars (no header).
struct sample {
  std::vector<std::int64_t> customer;
  std::vector<int> year, month, day;
  std::vector<double> amount;
  bool found = false;
};

inline sample read_sample() {
  sample s;
  std::ifstream f(data_dir() + "/CDNOW_sample.txt");
  if (!f) return s;
  std::string master, id, date, cds, dollars;
  while (f >> master >> id >> date >> cds >> dollars) {
    s.customer.push_back(std::stoll(id));
    s.year.push_back(std::stoi(date.substr(0, 4)));
    s.month.push_back(std::stoi(date.substr(4, 2)));
    s.day.push_back(std::stoi(date.substr(6, 2)));
    s.amount.push_back(std::stod(dollars));
  }
  s.found = !s.customer.empty();
  return s;
}

}  // namespace cdnow
