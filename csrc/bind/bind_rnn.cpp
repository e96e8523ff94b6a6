#include "gil.h"
#include "registry.h"
#include "../cpu/rnn.h"
#include "../cpu/rnn_sequence.h"

using namespace fastdl;

FASTDL_BIND(CPU, rnn) {
  m.def("lstm_cell_forward", FASTDL_RELEASED(&cpu::lstm_cell_forward), py::arg("gates"), py::arg("c_prev"),
        py::arg("h_out"), py::arg("c_out"), py::arg("act_out"));
  m.def("lstm_cell_backward", FASTDL_RELEASED(&cpu::lstm_cell_backward), py::arg("act"), py::arg("c_prev"),
        py::arg("c"), py::arg("grad_h"), py::arg("grad_c"), py::arg("grad_gates"),
        py::arg("grad_c_prev"));
  m.def("gru_cell_forward", FASTDL_RELEASED(&cpu::gru_cell_forward), py::arg("gi"), py::arg("gh"),
        py::arg("h_prev"), py::arg("h_out"), py::arg("saved"));
  m.def("gru_cell_backward", FASTDL_RELEASED(&cpu::gru_cell_backward), py::arg("saved"), py::arg("h_prev"),
        py::arg("grad_h"), py::arg("grad_gi"), py::arg("grad_gh"), py::arg("grad_h_prev"));
}

FASTDL_BIND(CPU, rnn_sequence) {
  m.def("lstm_sequence_forward", FASTDL_RELEASED(&cpu::lstm_sequence_forward), py::arg("acts"), py::arg("w_hh"), py::arg("hs"),
        py::arg("cs"), py::arg("reverse"), py::arg("xh") = py::none(), py::arg("w_ih") = py::none(),
        py::arg("bias") = py::none());
  m.def("lstm_sequence_backward", FASTDL_RELEASED(&cpu::lstm_sequence_backward), py::arg("acts"), py::arg("w_hh"),
        py::arg("cs"), py::arg("grad_out"), py::arg("grad_h"), py::arg("grad_c"), py::arg("grad_gates"),
        py::arg("reverse"), py::arg("w_ih") = py::none(), py::arg("grad_input") = py::none(),
        py::arg("grad_bias") = py::none());
  m.def("gru_sequence_forward", FASTDL_RELEASED(&cpu::gru_sequence_forward), py::arg("gi"), py::arg("w_hh"), py::arg("b_hh"),
        py::arg("hs"), py::arg("saved"), py::arg("reverse"));
  m.def("gru_sequence_backward", FASTDL_RELEASED(&cpu::gru_sequence_backward), py::arg("saved"), py::arg("w_hh"), py::arg("hs"),
        py::arg("grad_out"), py::arg("grad_h"), py::arg("grad_gi"), py::arg("grad_gh"), py::arg("reverse"));
}
